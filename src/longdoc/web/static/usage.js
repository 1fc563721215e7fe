// One line per answer: tokens in and out, and what they cost at the model's list price.

import { el, formatCount } from "./dom.js";

export function formatMoney(amount, currency) {
  // small sums need more than two decimals to say anything
  const digits = amount === 0 ? 2 : Math.min(8, Math.max(2, 2 - Math.floor(Math.log10(amount))));
  return `${amount.toFixed(digits)} ${currency}`;
}

export function usageLine(session, usage, model, finishReason) {
  if (!usage) return el("p", { className: "usage" }, "No usage reported.");
  const cached = usage.prompt_tokens_details?.cached_tokens;
  const parts = [
    model,
    `input ${formatCount(usage.prompt_tokens)} tokens${cached ? ` (${formatCount(cached)} cached)` : ""}`,
    `output ${formatCount(usage.completion_tokens)} tokens`,
  ];
  const cost = session.cost(usage, model);
  if (cost) parts.push(`cost ${formatMoney(cost.amount, cost.currency)} at list price`);
  if (finishReason && finishReason !== "stop") parts.push(`stopped: ${finishReason}`);
  return el("p", { className: "usage" }, parts.join(" · "));
}
