"""Official exchange rates of the five Central Asian currencies against the US dollar."""
