/**
 * The pages' inline scripts, as strings: the board stays one file with no network. Plain ES2017 so
 * any browser runs them; neither builds HTML from event data except the server-rendered section.
 */

/** Arrow keys walk the kanban: up/down within a lane, left/right to the next lane with cards. */
export const KEYBOARD_SCRIPT = `
document.addEventListener('keydown', function (ev) {
  var card = document.activeElement
  if (!card || !card.classList || !card.classList.contains('card')) return
  var lanes = Array.prototype.filter.call(document.querySelectorAll('.lane'), function (l) { return l.querySelector('.card') })
  var lane = card.closest('.lane')
  var li = lanes.indexOf(lane)
  var cards = Array.prototype.slice.call(lane.querySelectorAll('.card'))
  var ci = cards.indexOf(card)
  var next = null
  if (ev.key === 'ArrowDown') next = cards[ci + 1]
  else if (ev.key === 'ArrowUp') next = cards[ci - 1]
  else if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
    var other = lanes[li + (ev.key === 'ArrowRight' ? 1 : -1)]
    if (other) { var oc = other.querySelectorAll('.card'); next = oc[Math.min(ci, oc.length - 1)] }
  }
  if (next) { ev.preventDefault(); next.focus() }
})
`

/**
 * The live board: follow /events, swap #board on each \`board\` event (keeping keyboard focus on the
 * same WP), remember the last event id so a reconnect replays what was missed.
 */
export const LIVE_SCRIPT = `
(function () {
  var mission = document.body.getAttribute('data-mission')
  var status = document.getElementById('status')
  var state = window.kittyBoard = { lastEventId: null, changes: [], boards: 0, source: null }
  function say(text) { if (status) status.textContent = text }
  function onBoard(ev) {
    state.lastEventId = ev.lastEventId || state.lastEventId
    var data = JSON.parse(ev.data)
    var focused = document.activeElement && document.activeElement.getAttribute && document.activeElement.getAttribute('data-wp')
    document.getElementById('board').innerHTML = data.html
    if (focused) { var again = document.querySelector('.card[data-wp="' + focused.replace(/[^A-Za-z0-9_-]/g, '') + '"]'); if (again) again.focus() }
    state.boards++
    say('Live · state ' + String(data.commit || 'empty').slice(0, 7) + ' · updated ' + new Date().toLocaleTimeString())
  }
  function onChange(ev) {
    state.lastEventId = ev.lastEventId || state.lastEventId
    state.changes.push(JSON.parse(ev.data))
  }
  state.connect = function () {
    if (state.source) return
    var url = '/events?mission=' + encodeURIComponent(mission) + (state.lastEventId ? '&lastEventId=' + encodeURIComponent(state.lastEventId) : '')
    var es = state.source = new EventSource(url)
    es.addEventListener('board', onBoard)
    es.addEventListener('change', onChange)
    es.addEventListener('problem', function (ev) { say('⚠ ' + JSON.parse(ev.data).message) })
    es.onopen = function () { say('Live · connected') }
    es.onerror = function () { say('Reconnecting…') }
  }
  state.disconnect = function () { if (state.source) { state.source.close(); state.source = null; say('Disconnected') } }
  state.connect()
})()
`
