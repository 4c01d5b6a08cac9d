"""MIE-IS Coach: an offline AI clinical supervisor that models Motivational Interviewing."""

__version__ = "0.1.0"
