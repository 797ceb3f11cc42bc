/** The built-in demo agent's name (apart from its definition, which loads zod). */
export const DEMO_AGENT = "demo.poster";
