"""Applying plans and tracking jobs: the parts that write the state while talking to the service."""
