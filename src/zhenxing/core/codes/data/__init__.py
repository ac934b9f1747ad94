"""Code tables shipped with the validators (CSV, UTF-8); see README.md here for sources."""
