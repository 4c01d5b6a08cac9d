"""The supervisor's review of a logged session: the coded review model and its exports."""
