"""Health check for load balancers and operators."""
