/** The quick start's typed topics, shared by every process. */
export type Topics = {
  [k: `greetings.${string}`]: { from: string; text: string };
  acks: { from: string; text: string };
  'control.ready': null;
  'control.bye': null;
};
