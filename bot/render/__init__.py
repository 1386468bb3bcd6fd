"""Telegram HTML: escaping (html), shared pieces (common), content items (items)."""
