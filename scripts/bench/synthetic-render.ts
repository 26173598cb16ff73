import type { HistoryEntry, MissionModel, WpModel } from './synthetic-model.ts'
import { kebab } from './synthetic-model.ts'
import type { Rng } from './random.ts'
import { createRng } from './random.ts'
import { MODULES, SENTENCES } from './vocabulary.ts'

/** Files of a synthetic mission, in the shapes found in the spec-kitty corpus. */

type Style = MissionModel['style']

/** spec-kitty's own writer double-quotes everything; PyYAML-written files quote only when needed. */
function scalar(value: string, style: Style): string {
  if (style === 'quoted') return JSON.stringify(value)
  if (value === '') return "''"
  return /^[\w][\w ./+-]*$/.test(value) && !/^\d+$/.test(value) ? value : `'${value.replace(/'/g, "''")}'`
}

function timestamp(value: string, style: Style): string {
  return style === 'quoted' ? JSON.stringify(value) : `'${value}'`
}

function historyBlock(entries: HistoryEntry[], style: Style): string[] {
  const [dash, indent] = style === 'quoted' ? ['  - ', '    '] : ['- ', '  ']
  const lines: string[] = []
  for (const h of entries) {
    lines.push(`${dash}timestamp: ${timestamp(h.timestamp, style)}`)
    lines.push(`${indent}lane: ${scalar(h.lane, style)}`)
    lines.push(`${indent}agent: ${scalar(h.agent, style)}`)
    lines.push(`${indent}shell_pid: ${JSON.stringify(h.shellPid)}`)
    lines.push(`${indent}action: ${scalar(h.action, style)}`)
  }
  return lines
}

function frontmatter(mission: MissionModel, wp: WpModel): string[] {
  const s = mission.style
  const item = s === 'quoted' ? '  - ' : '- '
  const deps = wp.deps.map((d) => (s === 'quoted' ? JSON.stringify(d) : d)).join(', ')
  return [
    '---',
    `work_package_id: ${scalar(wp.id, s)}`,
    `title: ${scalar(wp.title, s)}`,
    // Lane-editing tools rewrite these with double quotes whatever the file's style.
    `lane: ${JSON.stringify(wp.lane)}`,
    `dependencies: [${deps}]`,
    `base_branch: ${scalar('main', s)}`,
    `created_at: ${timestamp(wp.createdAt, s)}`,
    'subtasks:',
    ...wp.subtasks.map((t) => `${item}${scalar(t.id, s)}`),
    `phase: ${scalar(wp.phase, s)}`,
    `assignee: ${scalar(wp.assignee, s)}`,
    `agent: ${JSON.stringify(wp.agent)}`,
    `shell_pid: ${JSON.stringify(wp.shellPid)}`,
    `review_status: ${JSON.stringify(wp.reviewStatus)}`,
    `reviewed_by: ${JSON.stringify(wp.reviewedBy)}`,
    'history:',
    ...historyBlock(wp.history, s),
    '---',
  ]
}

function sentences(rng: Rng, count: number, prefix: string): string[] {
  const out: string[] = []
  for (let i = 0; i < count; i++) out.push(`${prefix}${rng.pick(SENTENCES)}`)
  return out
}

function subtaskSection(rng: Rng, t: WpModel['subtasks'][number]): string[] {
  const file = `${rng.pick(MODULES)}/${kebab(t.title).replace(/-/g, '_').slice(0, 24)}.py`
  return [
    `### Subtask ${t.id} – ${t.title}`,
    '',
    `**Purpose**: ${rng.pick(SENTENCES)}`,
    '',
    '**Steps**:',
    ...sentences(rng, 3, '').map((line, i) => `${i + 1}. ${line}`),
    '',
    '**Files**:',
    `- \`${file}\` (add ~${rng.int(2, 12) * 10} lines)`,
    '',
    `**Parallel?**: ${rng.chance(0.5) ? 'Yes - independent of the other subtasks' : 'No - builds on the previous subtask'}`,
    '',
    '---',
    '',
  ]
}

function body(mission: MissionModel, wp: WpModel): string[] {
  const rng = createRng(wp.bodySeed)
  const base = wp.deps.at(-1)
  return [
    '',
    `# Work Package Prompt: ${wp.id} – ${wp.title}`,
    '',
    '## Implementation Command',
    '',
    '```bash',
    `spec-kitty implement ${wp.id}${base ? ` --base ${base}` : ''}`,
    '```',
    '',
    '## Objectives & Success Criteria',
    '',
    ...sentences(rng, 4, '- [ ] '),
    '',
    '## Context & Constraints',
    '',
    '**Reference Documents**:',
    `- \`kitty-specs/${mission.slug}/spec.md\` - requirements`,
    `- \`kitty-specs/${mission.slug}/plan.md\` - design and sequencing`,
    '',
    '**Constraints**:',
    ...sentences(rng, 3, '- '),
    '',
    '---',
    '',
    '## Subtasks & Detailed Guidance',
    '',
    ...wp.subtasks.flatMap((t) => subtaskSection(rng, t)),
    '## Risks & Mitigations',
    '',
    ...sentences(rng, 2, '- '),
    '',
    '## Review Guidance',
    '',
    ...sentences(rng, 2, '- '),
    '',
    '## Activity Log',
    '',
  ]
}

export function renderWp(mission: MissionModel, wp: WpModel): string {
  return [...frontmatter(mission, wp), ...body(mission, wp), ...wp.activity, ''].join('\n')
}

export function renderMeta(mission: MissionModel): string {
  // Older missions carry the zero-padded string number; newer ones an integer and a ULID.
  const meta: Record<string, unknown> = {
    mission_number: mission.missionId ? mission.number : String(mission.number).padStart(3, '0'),
    slug: mission.slug,
    mission_slug: mission.slug,
    friendly_name: mission.friendlyName,
    mission_type: 'software-dev',
    source_description: `Synthetic mission ${mission.number}: ${mission.friendlyName.toLowerCase()}.`,
    created_at: mission.createdAt,
    target_branch: 'main',
    vcs: 'git',
  }
  if (mission.missionId) meta.mission_id = mission.missionId
  return `${JSON.stringify(meta, null, 2)}\n`
}

function tasksSection(wp: WpModel): string[] {
  const ticked = wp.lane === 'for_review' || wp.lane === 'approved' || wp.lane === 'done'
  return [
    `## Work Package ${wp.id}: ${wp.title} (Priority: P${Math.min(3, wp.deps.length + 1)})`,
    '',
    `**Goal**: ${wp.title}.`,
    `**Prompt**: \`tasks/${wp.fileName}\``,
    '',
    '### Included Subtasks',
    ...wp.subtasks.map((t) => `- [${ticked ? 'x' : ' '}] ${t.id} ${t.title}`),
    '',
    '### Dependencies',
    wp.deps.length > 0 ? `- Depends on ${wp.deps.join(', ')}` : '- None (foundation package)',
    '',
    '---',
    '',
  ]
}

export function renderTasksMd(mission: MissionModel): string {
  return [
    `# Work Packages: ${mission.friendlyName}`,
    '',
    `**Inputs**: Design documents from \`/kitty-specs/${mission.slug}/\``,
    '**Prerequisites**: plan.md (required), spec.md (user stories)',
    '',
    '## Subtask Format: `[Txxx] [P?] Description`',
    '',
    '---',
    '',
    ...mission.wps.flatMap(tasksSection),
  ].join('\n')
}

export function renderSpec(mission: MissionModel): string {
  const rng = createRng(mission.number)
  return [
    `# Feature Specification: ${mission.friendlyName}`,
    '',
    `**Feature Branch**: \`${mission.slug}\``,
    `**Created**: ${mission.createdAt.slice(0, 10)}`,
    '',
    '## User Scenarios & Testing',
    '',
    ...sentences(rng, 6, '- '),
    '',
    '## Requirements',
    '',
    ...sentences(rng, 8, '- **FR**: ').map((line, i) =>
      line.replace('**FR**', `**FR-${String(i + 1).padStart(3, '0')}**`),
    ),
    '',
  ].join('\n')
}
