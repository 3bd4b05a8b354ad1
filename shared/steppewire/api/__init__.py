"""What every HTTP function shares: the resolver, its error bodies and the OpenAPI document."""
