"""client commands."""
