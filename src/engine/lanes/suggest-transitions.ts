/** The command that lists a WP's possible moves and what each needs: where a refused move points. */
export function suggestTransitions(missionDir: string, wpId: string): string {
  return `Run 'kitty orchestrator-api transitions --mission ${missionDir} --wp ${wpId}' to see each move and what it needs.`
}
