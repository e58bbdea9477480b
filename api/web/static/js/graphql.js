// GraphQL for the pages that read: the one request function (session.js, which sends the
// sign-in token when there is one), and members' public names.
import { graphql } from "./session.js";

export { graphql };

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
