"""Stage package 'report' (see DESIGN.md)."""
