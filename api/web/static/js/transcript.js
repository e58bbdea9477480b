// A count's transcript in words: one list item per step of `tally.rounds`
// (docs/governance.md, "The transcript"), with the options named.
import { el, table } from "./dom.js";

export function describeRounds(transcript, names) {
  const tally = transcript.tally || {};
  const rounds = tally.rounds || [];
  const name = (i) => names[Number(i)] ?? `option ${i}`;
  const list = (options) => options.map(name).join(", ");
  const items = rounds.map((step) => {
    switch (step.step) {
      case "quorum": {
        const [n, d] = step.quorum;
        const need = n === 0 ? "no quorum is set" : `the quorum is ${n}/${d} of the members`;
        return `${step.ballots} ballot(s) counted from ${step.electorate_size} members; ${need}: ${step.met ? "met" : "NOT met, so nothing is decided"}.`;
      }
      case "decision": {
        const c = step.counts;
        let text = `Agree ${c.agree}, abstain ${c.abstain}, disagree ${c.disagree}, block ${c.block}.`;
        if (step.consent) text += c.block ? " A block stops a consent decision." : " No block: consent is given.";
        if (step.support) {
          const [n, d] = step.threshold;
          text += ` Support ${step.support[0]} of ${step.support[1]} votes; more than ${n}/${d} is needed: ${step.above ? "it passes" : "it does not pass"}.`;
        }
        return text;
      }
      case "totals":
        return el(
          "div",
          {},
          `Totals; the highest is ${step.highest}, reached by ${list(step.leaders)}.`,
          table("Totals", ["Option", "Total"], step.totals.map((t, i) => [name(i), t]), [1]),
        );
      case "round": {
        const votes = Object.entries(step.votes).map(([o, v]) => `${name(o)} ${v}`).join(", ");
        let text = `Round ${step.round}: ${votes}; ${step.exhausted} exhausted; ${step.majority} needed for a majority of ${step.continuing_ballots}. `;
        if (step.elected !== undefined) text += `${name(step.elected)} is elected.`;
        if (step.eliminated) text += `${list(step.eliminated)} ${step.eliminated.length > 1 ? "are" : "is"} eliminated.`;
        return text;
      }
      case "pairwise":
        return el("div", {}, "Ballots preferring the row's option to the column's:", matrix(step.d, name));
      case "strongest_paths":
        return el("div", {}, "Strength of the strongest path from the row's option to the column's:", matrix(step.p, name));
      case "potential_winners":
        return `Potential winners: ${list(step.options)}.`;
      case "tie": {
        const what = step.for === "win" ? "the win" : "elimination";
        const chose = step.chosen === null ? "no option is chosen (the tie stands)" : `${name(step.chosen)} is chosen`;
        return `A tie for ${what} between ${list(step.tied)}; by the ${step.rule} rule ${chose}.`;
      }
      default:
        return `A step of kind “${step.step}”.`;
    }
  });
  const parts = [el("ol", { class: "transcript" }, items.map((item) => el("li", {}, item)))];
  if (transcript.superseded && transcript.superseded.length) {
    parts.push(el("p", {}, `Earlier ballots replaced by a later one (not counted): entries ${transcript.superseded.join(", ")}.`));
  }
  if (transcript.spoiled && transcript.spoiled.length) {
    parts.push(
      el("p", {}, `Spoiled ballots (not counted): ${transcript.spoiled.map((s) => `entry ${s.seq} (${s.reason.replaceAll("_", " ")})`).join(", ")}.`),
    );
  }
  return el("div", {}, parts);
}

function matrix(rows, name) {
  return table(
    "Pairwise table",
    ["", ...rows.map((_, j) => name(j))],
    rows.map((row, i) => [name(i), ...row]),
    rows.map((_, j) => j + 1),
  );
}
