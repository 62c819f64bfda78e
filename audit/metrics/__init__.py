"""Stage package 'metrics' (see DESIGN.md)."""
