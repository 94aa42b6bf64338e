"""The only package that speaks SQL. Functions take a connection and return models, never rows."""
