// The working groups: each with its convenor, its number of members and its terms.
import { graphql, memberNames, nameOf } from "./graphql.js";
import { el, say, table } from "./dom.js";

const status = document.getElementById("groups-status");
try {
  const data = await graphql(`{
    groups(first: 50) { nodes { slug name convenor terms { version } members(first: 100) { nodes { role } } } }
    proposals(status: "open", first: 100) { nodes { group } }
  }`);
  const names = await memberNames();
  const open = new Map();
  for (const p of data.proposals.nodes) open.set(p.group, (open.get(p.group) || 0) + 1);
  const rows = data.groups.nodes.map((g) => [
    el("a", { href: `/groups/${encodeURIComponent(g.slug)}` }, g.name),
    g.convenor ? nameOf(names, g.convenor) : "none yet",
    g.members.nodes.filter((m) => m.role !== "observer").length,
    g.terms ? `version ${g.terms.version}` : "not adopted yet",
    open.get(g.slug) || 0,
  ]);
  document
    .getElementById("groups")
    .replaceChildren(
      table("Working groups", ["Group", "Convenor", "Members", "Terms of reference", "Open proposals"], rows, [2, 4]),
    );
  status.replaceChildren();
} catch (error) {
  say(status, "bad", `The working groups could not be shown: ${error.message}`);
}
