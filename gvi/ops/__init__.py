"""Operations: backup and restore, retention."""
