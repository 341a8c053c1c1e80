"""Record import: people, defector cases and support offers from spreadsheets."""
