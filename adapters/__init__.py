"""Adapters: they translate between the outside world (PBX wire, chat SDKs) and core types."""
