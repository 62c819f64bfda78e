"""Stage package 'cases' (see DESIGN.md)."""
