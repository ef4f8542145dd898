"""Planning: the pure core. Desired jobs, recorded jobs and an observed view in; a `Plan` out."""
