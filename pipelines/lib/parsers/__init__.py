"""Source parsers: landed files → batches of rows named as their data contract names them."""
