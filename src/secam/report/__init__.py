"""Tables and figures of the comparison."""
