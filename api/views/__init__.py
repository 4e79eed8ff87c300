"""/api/v1/: thin views that scope by the token's partner and call the portal's services."""
