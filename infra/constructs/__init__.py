"""One construct per capability; the stacks only compose and wire them."""
