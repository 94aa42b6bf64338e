"""The suite, one folder per layer of service/ (tests/<layer>/ checks service/<layer>/).

store/ SQL and schema · sources/ clients against tests/fakes · ingest/ rules that turn outside data
into history · jobs/ jobs, runner, Events stream · web/ pages, JSON and the extension API ·
cli/ `mhc` in a subprocess · browser/ everything that runs Chromium. test_<module>.py at the top
checks the small top-level modules. Helpers live in support/ (one module per kind of fixture),
fixtures in conftest.py files, fake upstreams in fakes/, captured data in fixtures/.
"""
