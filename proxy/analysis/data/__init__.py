"""The detector's rules as data: word lists, regex alternatives and names, one file per concept."""
