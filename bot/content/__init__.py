"""What the bot knows: content/ as typed items (model), declared kinds (kinds), checked
(checks, validation), stored in SQLite and served (store)."""
