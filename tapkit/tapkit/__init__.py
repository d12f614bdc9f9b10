"""Shared plumbing for the accounting-export taps (only what singer-sdk lacks)."""
