"""The GraphQL API: schema, types built from domain values, resolvers, loaders and limits."""
