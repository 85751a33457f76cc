"""The kvstore conformance kit."""
