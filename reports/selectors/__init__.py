"""Every read the report pages and their exports make. Pages and files call the same
functions with the same cleaned filters, so the numbers on screen and in files agree."""
