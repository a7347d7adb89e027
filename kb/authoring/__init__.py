"""What knowledge editors work with: outcomes, the takeover monitor and its flags, content gaps."""
