"""The one index client: every index page the plugin reads itself goes through here.

`http` is the only module that speaks HTTP (Poetry's credentials, certificates and cache);
`pages` parses PEP 691 JSON and PEP 503 HTML; `cache` remembers release lists; `deadline`
bounds a stage of reads; `client` asks the sources (platform-up's lookups and metadata
reads); `model` is what a read answers, "could not read" included.
"""
