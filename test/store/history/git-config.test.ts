import nodeFs, { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import git from 'isomorphic-git'
import { afterAll, describe, expect, it } from 'vitest'
import { configValue, readConfigValue } from '../../../src/store/history/git-config.ts'
import { resolveIdentity } from '../../../src/store/history/commit-mutation.ts'
import { locateRepository } from '../../../src/store/repository.ts'
import { cleanupTempDirs, git as gitCli, makeRepo, tempDir } from '../../helpers/git-repo.ts'

afterAll(cleanupTempDirs)

const RUNS = Number(process.env['KITTY_FUZZ_RUNS'] ?? 100) * 3

/** Config lines from the pieces the parser treats specially: sections, subsections, quotes, escapes, comments. */
const line = fc.oneof(
  fc.constantFrom('[user]', '[User]', '[user "sub"]', '[core]', '[user.x]', '[user] # c', '[user ""]', '\t[user]  '),
  fc
    .tuple(
      fc.constantFrom('name', 'Name', 'email', 'NAME', 'other', 'e-mail'),
      fc.constantFrom(' = ', '=', '\t=\t', ''),
      fc.array(fc.constantFrom('a', ' ', '\t', '"', '\\', '\\n', '\\t', '\\"', '#', ';', 'ü', '<x>', 'b c'), {
        maxLength: 8,
      }),
    )
    .map(([key, eq, parts]) => `${eq === '' ? '  ' : ''}${key}${eq}${eq === '' ? '' : parts.join('')}`),
  fc.constantFrom('', '# comment', '; comment', 'garbage line', '  name = lost before any section'),
)

describe('git-config: a value of the repository config, as isomorphic-git read it', () => {
  it('agrees with isomorphic-git getConfig on user.name and user.email for any mix of lines', async () => {
    const gitdir = join(tempDir(), '.git')
    nodeFs.mkdirSync(gitdir)
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(line, { maxLength: 12 }), async (userFirst, lines) => {
        const text = [...(userFirst ? ['[user]'] : []), ...lines].join('\n')
        writeFileSync(join(gitdir, 'config'), text)
        for (const key of ['name', 'email'])
          expect(configValue(text, 'user', key)).toBe(await git.getConfig({ fs: nodeFs, gitdir, path: `user.${key}` }))
      }),
      { numRuns: RUNS },
    )
  })

  it('reads what git config wrote, quoting and escapes included; a missing file or key is undefined', async () => {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    gitCli(dir, 'config', 'user.name', ' Kitty "the cat" ; Test ')
    gitCli(dir, 'config', 'user.email', 'kitty@example.com')
    expect(await readConfigValue(repo, 'user', 'name')).toBe(' Kitty "the cat" ; Test ')
    expect(await readConfigValue(repo, 'user', 'email')).toBe('kitty@example.com')
    expect(await readConfigValue(repo, 'user', 'signingkey')).toBeUndefined()
    expect(await resolveIdentity(repo, {})).toEqual({ name: 'Kitty "the cat" ; Test', email: 'kitty@example.com' })
    nodeFs.rmSync(join(repo.gitdir, 'config'))
    expect(await readConfigValue(repo, 'user', 'name')).toBeUndefined()
    expect(await resolveIdentity(repo, {})).toEqual({
      name: 'kitty-github',
      email: 'kitty-github@users.noreply.github.com',
    })
  })
})

/** [config text, user.name as git and isomorphic-git read it]: each line shape the parser decides on. */
const CASES: Array<[string, string | undefined]> = [
  ['[user]\n\tname = Kitty', 'Kitty'],
  ['[user] # a comment\nname = Kitty', 'Kitty'],
  ['[user] ; a comment\nname = Kitty', 'Kitty'],
  ['[user]\t \nname = Kitty', 'Kitty'],
  ['[user] name\nname = Kitty', undefined],
  ['x[user]\nname = Kitty', undefined],
  ['[user "sub"]\nname = Kitty', undefined],
  ['[user\t"sub"]\nname = Kitty', undefined],
  ['[user  "a\\"b"]\nname = Kitty', undefined],
  ['[user]\nname = Kitty\n[user \t "sub"]\nname = Sub', 'Kitty'],
  ['[user "sub"] # c\nname = Sub\n[user]\nname = Kitty', 'Kitty'],
  ['[user]\nname = Kitty\n[user "sub"]x\nname = Other', 'Other'],
  ['[user]\nname = Kitty\n[user""]\nname = Other', 'Other'],
  ['[user]\nname = Kitty\n[user] x\nname = Other', 'Other'],
  ['[u]\nname = Kitty', undefined],
  ['[user]\nname', 'true'],
  ['[user]\nname=Kitty', 'Kitty'],
  ['[user]\nname   =   Kitty  ', 'Kitty'],
  ['[user]\nname=\tKitty', 'Kitty'],
  ['[user]\nname = K', 'K'],
  ['[user]\nname2 = Other\nname = Kitty', 'Kitty'],
  ['[user]\nname = Kitty\nname-x = Other', 'Kitty'],
  ['[user]\nname = Kitty\n1name = Other', 'Kitty'],
  ['[user]\nname = Kitty\nname x = Other', 'Kitty'],
  ['[user]\nname = Kitty\nnam = Other', 'Kitty'],
  ['[user]\nname = Kitty\nname_x = Other', 'Kitty'],
  ['[user]\nname = Kitty\n-name = Other', 'Kitty'],
  ['[user]\nname = a   b', 'a   b'],
  ['[user]\nname = a \t b # c', 'a \t b'],
  ['[user]\nname = a ; c', 'a'],
  ['[user]\nname = a#c', 'a'],
  ['[user]\nname = "a # b" c', 'a # b c'],
  ['[user]\nname = "  a  "', '  a  '],
  ['[user]\nname = a\\tb\\nc\\\\d\\"e\\bf', 'a\tb\nc\\d"e\bf'],
  ['[user]\nname = a\\xb', 'a\\xb'],
  ['[user]\nname = \t\v\f a', 'a'],
  ['[user]\nname = a\r', 'a'],
  ['[user]\nname = a \v# c', 'a'],
  ['[user]\nname = a\fb \f', 'a\fb'],
  ['[user]\nname = "" a', 'a'],
  ['[user]\nname = "" \t"b"', 'b'],
]

describe('git-config: each line shape the parser decides on', () => {
  it.each(CASES)('%j → %j, as isomorphic-git reads it', async (text, expected) => {
    const gitdir = join(tempDir(), '.git')
    nodeFs.mkdirSync(gitdir)
    writeFileSync(join(gitdir, 'config'), text)
    expect(configValue(text, 'user', 'name')).toBe(expected)
    expect(await git.getConfig({ fs: nodeFs, gitdir, path: 'user.name' })).toBe(expected)
  })

  it('a config that cannot be read other than for being absent is an error, not an empty config', async () => {
    const dir = makeRepo()
    const repo = locateRepository(dir)
    nodeFs.rmSync(join(repo.gitdir, 'config'))
    nodeFs.mkdirSync(join(repo.gitdir, 'config'))
    await expect(readConfigValue(repo, 'user', 'name')).rejects.toMatchObject({ code: 'EISDIR' })
  })
})
