"""A faithful local Amazon Personalize data-deletion-job service: in-process and over HTTP."""
