// How much one animation frame may repaint. Pure: unit-tested in test/overview.test.ts.

/** Cards repainted per frame: the rest wait for the next, so a frame's script and layout stay small. */
export const CARDS_PER_FRAME = 8;
/** Cards or table rows put into the DOM per frame: a jump to another part of a big fleet fills the screen over
 * a few frames (the viewport first) instead of in one long task. The style, layout and paint of the new cards
 * were most of the frames over 50 ms in a trace (2 cores shared with the server): 4 a frame, not 8. */
export const MOUNTS_PER_FRAME = 4;

/** Sparkline histories asked for per frame (a fetch each): a scroll through the fleet starts a handful, not one
 * per card it passes. */
export const SEEDS_PER_FRAME = 2;
/** A card in the viewport asks for its sparkline's history once it has been mounted this long (ms), so cards a
 * fast scroll only passes cost no request. */
export const SEED_DWELL_MS = 300;

/** One frame's allowance: each take spends one, and says whether there was one left. */
export class FrameBudget {
  private cards = CARDS_PER_FRAME;
  private mounts = MOUNTS_PER_FRAME;
  private seeds = SEEDS_PER_FRAME;

  takeCard(): boolean {
    return this.cards-- > 0;
  }

  takeMount(): boolean {
    return this.mounts-- > 0;
  }

  takeSeed(): boolean {
    return this.seeds-- > 0;
  }
}
