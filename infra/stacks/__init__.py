"""Thin stacks: each composes constructs and wires them with grants."""
