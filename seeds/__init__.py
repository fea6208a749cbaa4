"""The seed story (two reports of the April 2024 Shoigu–Lecornu call), shipped as package data."""
