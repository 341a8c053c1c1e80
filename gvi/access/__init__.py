"""Access control: permissions, scoping, cross-partition disclosures and break-the-glass."""
