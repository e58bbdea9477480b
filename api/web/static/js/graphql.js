// One GraphQL request to this server: the data, or an Error with the server's plain message.
// A token (from signing in) is sent as a bearer token when given.

export async function graphql(query, variables = {}, token = null) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new Error("The server could not be reached. Check your connection and try again.");
  }
  let reply;
  try {
    reply = await response.json();
  } catch {
    throw new Error(`The server answered ${response.status} without a readable reply.`);
  }
  if (reply.errors && reply.errors.length) {
    throw new Error(reply.errors.map((e) => e.message).join("; "));
  }
  if (!response.ok) throw new Error(`The server answered ${response.status}.`);
  return reply.data;
}

// Members' public names: id -> handle (the id itself when a member has no handle).
let names = null;
export async function memberNames() {
  if (!names) {
    names = (async () => {
      const found = new Map();
      let after = null;
      for (;;) {
        const data = await graphql(
          `query($after: String) { members(first: 100, after: $after) {
             nodes { id handle } pageInfo { hasNextPage endCursor } } }`,
          { after },
        );
        for (const m of data.members.nodes) found.set(m.id, m.handle || m.id);
        if (!data.members.pageInfo.hasNextPage) return found;
        after = data.members.pageInfo.endCursor;
      }
    })();
  }
  return names;
}

export function nameOf(names, id) {
  return id ? names.get(id) || id : "";
}
