"""Channel adapters: how a rendered message reaches SMS gateways, SMTP relays, WeChat, WeCom, app push,
webhooks and the file sink. See ``base.py`` for the contract and ``registry.py`` for how they are built."""
