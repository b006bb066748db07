// How much one animation frame may repaint. Pure: unit-tested in test/overview.test.ts.

/** Cards repainted per frame: the rest wait for the next, so a frame's script and layout stay small. */
export const CARDS_PER_FRAME = 12;
/** Sparklines created per frame: a uPlot costs a few ms, so a fast scroll never blocks the page. */
export const CHARTS_PER_FRAME = 2;

/** One frame's allowance: each take spends one, and says whether there was one left. */
export class FrameBudget {
  private cards = CARDS_PER_FRAME;
  private charts = CHARTS_PER_FRAME;

  takeCard(): boolean {
    return this.cards-- > 0;
  }

  takeChart(): boolean {
    return this.charts-- > 0;
  }
}
