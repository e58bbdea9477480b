// GraphQL for the pages that read: the one request function (session.js, which sends the
// sign-in token when there is one), every page of a list, and members' public names.
import { graphql } from "./session.js";

export { graphql };

/**
 * Every node of a Relay list, page after page: `query` takes `$after: String` (and
 * `variables`), and `pick(data)` is the connection in its answer (with
 * `nodes` and `pageInfo { hasNextPage endCursor }`).
 */
export async function allNodes(query, variables, pick) {
  const found = [];
  let after = null;
  for (;;) {
    const connection = pick(await graphql(query, { ...variables, after }));
    if (connection === null || connection === undefined) return found;
    found.push(...connection.nodes);
    if (!connection.pageInfo.hasNextPage) return found;
    after = connection.pageInfo.endCursor;
  }
}

// Members' public names: id -> handle (the id itself when a member has no handle).
let names = null;
export async function memberNames() {
  names ??= allNodes(
    `query($after: String) { members(first: 100, after: $after) {
       nodes { id handle } pageInfo { hasNextPage endCursor } } }`,
    {},
    (data) => data.members,
  ).then((members) => new Map(members.map((m) => [m.id, m.handle || m.id])));
  return names;
}

export function nameOf(names, id) {
  return id ? names.get(id) || id : "";
}
