"""The panel and its JSON API: routes, middlewares, handlers and rendering."""
