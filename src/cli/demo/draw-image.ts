import { createHash } from "node:crypto";

/**
 * Draws a small abstract poster for a prompt as SVG: colours and shapes come from the prompt's
 * hash, so the same prompt always gives the same picture. The demo's offline "image model".
 */
export function drawImage(prompt: string): string {
  const h = createHash("sha256").update(prompt).digest();
  const hue = (i: number) => Math.round((h[i]! / 255) * 360);
  const bg = `hsl(${hue(0)}, 60%, 18%)`;
  const shapes: string[] = [];
  for (let i = 0; i < 7; i++) {
    const x = 40 + (h[1 + i]! / 255) * 560;
    const y = 40 + (h[8 + i]! / 255) * 320;
    const r = 20 + (h[15 + i]! / 255) * 110;
    shapes.push(
      `<circle cx="${x.toFixed(0)}" cy="${y.toFixed(0)}" r="${r.toFixed(0)}" fill="hsl(${hue(20 + (i % 10))}, 75%, 60%)" fill-opacity="0.55"/>`,
    );
  }
  const title = escapeXml(prompt.length > 48 ? `${prompt.slice(0, 47)}…` : prompt);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400" viewBox="0 0 640 400">`,
    `<rect width="640" height="400" fill="${bg}"/>`,
    ...shapes,
    `<text x="32" y="368" font-family="sans-serif" font-size="24" fill="white">${title}</text>`,
    `</svg>`,
    "",
  ].join("\n");
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
