"""Storage: the database and its migrations, tables, the session store, accounts and access
control. Nothing here imports from the layers above."""
