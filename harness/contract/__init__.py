"""The contract engine: generated requests -> target -> checks -> results."""
