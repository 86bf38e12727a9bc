/**
 * The console's page, script and style, written for it (no third-party code) and kept here as strings so the
 * console serves them without reading a file and without a build step. The script is a classic script of plain
 * DOM calls (no framework): small enough to read in one sitting, and nothing to vendor.
 */

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rocketmq-ts console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header>
  <h1>rocketmq-ts console</h1>
  <nav>
    <a href="#overview">Overview</a>
    <a href="#topics">Topics</a>
    <a href="#groups">Consumer groups</a>
    <a href="#producers">Producers</a>
    <a href="#messages">Messages</a>
    <a href="#dlq">Retry &amp; DLQ</a>
    <a href="#transactions">Transactions</a>
    <a href="#timers">Timers</a>
  </nav>
  <span id="status" class="ok"></span>
</header>
<main id="main"><p>Loading…</p></main>
<script src="/app.js"></script>
</body>
</html>
`;

const APP_JS = `'use strict';
// rocketmq-ts console: plain DOM, no framework. Views read /api/*, actions POST JSON, live figures come by SSE.
(function () {
  var main = document.getElementById('main');
  var live = { source: null, tail: null, spark: [] };

  function h(tag, attrs) {
    var el = document.createElement(tag);
    var a = attrs || {};
    Object.keys(a).forEach(function (k) {
      if (k === 'onclick' || k === 'onsubmit' || k === 'onchange') el.addEventListener(k.slice(2), a[k]);
      else if (k === 'text') el.textContent = a[k];
      else if (a[k] !== undefined && a[k] !== null && a[k] !== false) el.setAttribute(k, a[k]);
    });
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  function table(headers, rows, id) {
    return h('table', { id: id }, h('thead', {}, h('tr', {}, headers.map(function (x) { return h('th', { text: x }); }))),
      h('tbody', {}, rows.length === 0 ? h('tr', {}, h('td', { colspan: headers.length, class: 'empty', text: 'none' })) :
        rows.map(function (r) { return h('tr', {}, r.map(function (c) { return h('td', {}, c); })); })));
  }
  function bytes(n) { return n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : n < 1073741824 ? (n / 1048576).toFixed(1) + ' MiB' : (n / 1073741824).toFixed(2) + ' GiB'; }
  function time(ms) { return ms > 0 ? new Date(ms).toLocaleString() : 'N/A'; }
  // Topic and group names may hold '%' and '|': the part after the page name is URI-encoded in the hash.
  function hashOf(page, arg) { return '#' + page + (arg === undefined ? '' : '/' + encodeURIComponent(arg)); }
  function link(hash, text) {
    var slash = hash.indexOf('/');
    return h('a', { href: slash < 0 ? hashOf(hash) : hashOf(hash.slice(0, slash), hash.slice(slash + 1)), text: text });
  }
  function say(text, bad) {
    var el = document.getElementById('status');
    el.textContent = text;
    el.className = bad ? 'bad' : 'ok';
  }
  function api(path) {
    return fetch(path).then(function (r) {
      return r.json().then(function (v) { if (!r.ok) throw new Error(v.error || r.statusText); return v; });
    });
  }
  function post(path, body) {
    var headers = { 'Content-Type': 'application/json' };
    var token = sessionStorage.getItem('consoleToken');
    if (token) headers['X-Console-Token'] = token;
    return fetch(path, { method: 'POST', headers: headers, body: JSON.stringify(body) }).then(function (r) {
      return r.json().then(function (v) {
        if (r.status === 403 && /token/.test(v.error || '')) {
          var t = window.prompt('Console token');
          if (t) { sessionStorage.setItem('consoleToken', t); return post(path, body); }
        }
        if (!r.ok) throw new Error(v.error || r.statusText);
        return v;
      });
    });
  }
  function field(name, label, attrs) {
    var a = Object.assign({ name: name, id: 'f-' + name }, attrs || {});
    return h('label', {}, label, a.type === 'textarea' ? h('textarea', a) : h('input', a));
  }
  function form(id, fields, button, onsubmit) {
    return h('form', { id: id, onsubmit: function (e) {
      e.preventDefault();
      var values = {};
      Array.prototype.forEach.call(e.target.elements, function (el) { if (el.name) values[el.name] = el.value; });
      Promise.resolve(onsubmit(values)).catch(function (err) { say(err.message, true); });
    } }, fields, h('button', { type: 'submit', text: button }));
  }
  function bodyAs(msg, mode) {
    if (mode === 'hex') {
      var bytes = new TextEncoder().encode(msg.body);
      return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join(' ');
    }
    if (mode === 'json') { try { return JSON.stringify(JSON.parse(msg.body), null, 2); } catch (e) { return 'not JSON: ' + e.message; } }
    return msg.body;
  }
  function messageDetail(msg) {
    var pre = h('pre', { class: 'body', text: bodyAs(msg, 'text') });
    var modes = ['text', 'json', 'hex'].map(function (m) {
      return h('button', { type: 'button', class: 'small', text: m, onclick: function () { pre.textContent = bodyAs(msg, m); } });
    });
    var props = Object.keys(msg.properties).sort().map(function (k) { return [k, msg.properties[k]]; });
    return h('div', { class: 'message' },
      h('h3', { text: 'Message ' + msg.msgId }),
      table(['Field', 'Value'], [['Topic', msg.topic], ['Offset id', msg.offsetMsgId], ['Tags', msg.tags || ''], ['Keys', (msg.keys || []).join(' ')],
        ['Queue', msg.queueId + ' @ ' + msg.queueOffset], ['Reconsume times', msg.reconsumeTimes], ['Born', time(msg.bornTimestamp) + ' from ' + msg.bornHost],
        ['Stored', time(msg.storeTimestamp) + ' on ' + msg.storeHost]]),
      h('h4', { text: 'Properties' }), table(['Name', 'Value'], props),
      h('h4', {}, 'Body ', modes), pre,
      form('resend-form', [field('group', 'Resend to group', { required: true })], 'Resend', function (v) {
        return post('/api/message/resend', { group: v.group, id: msg.offsetMsgId }).then(function (r) { say('resent as ' + r.resent[0].newMsgId); });
      }));
  }
  function messageRows(messages, onpick) {
    return table(['Message id', 'Topic', 'Tags', 'Keys', 'Queue', 'Offset', 'Stored'], messages.map(function (m) {
      return [h('button', { type: 'button', class: 'linklike', text: m.msgId, onclick: function () { onpick(m); } }), m.topic, m.tags || '', (m.keys || []).join(' '), m.queueId, m.queueOffset, time(m.storeTimestamp)];
    }), 'messages');
  }

  function duration(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    return s < 120 ? s + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : (s / 3600).toFixed(1) + ' h';
  }
  // A page of a pending list (PAGE entries a page): how many, which slice, how much was read, links to the others.
  var PAGE = 50;
  function pendingSummary(p, page) {
    var shown = p.entries.length === 0 ? 'none shown' : (p.from + 1) + '-' + (p.from + p.entries.length) + ' shown';
    var parts = [h('span', { id: 'pending-total', text: p.total + ' pending, ' + shown + ' (' + p.scanned + ' records read' + (p.truncated ? '; older ones not read' : '') + ')' })];
    if (p.from > 0) parts.push(' ', h('a', { href: hashOf(page, String(Math.max(0, p.from - PAGE))), text: 'previous' }));
    if (p.from + p.entries.length < p.total) parts.push(' ', h('a', { href: hashOf(page, String(p.from + p.entries.length)), text: 'next' }));
    p.problems.forEach(function (x) { parts.push(h('br'), h('span', { class: 'bad', text: x.brokerName + ': ' + x.error })); });
    return h('p', {}, parts);
  }
  function sparkline(points) {
    var max = Math.max.apply(null, points.concat([1]));
    var path = points.map(function (p, i) { return (i === 0 ? 'M' : 'L') + (i * 4) + ' ' + (40 - (p / max) * 38).toFixed(1); }).join(' ');
    var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 240 40');
    svg.setAttribute('class', 'spark');
    var p = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    p.setAttribute('d', path);
    svg.appendChild(p);
    return svg;
  }

  var pages = {
    overview: function () {
      return api('/api/overview').then(function (o) {
        var figures = h('div', { id: 'figures', class: 'cards' },
          h('div', { class: 'card' }, h('span', { text: 'TPS in' }), h('b', { id: 'tps-in', text: '-' })),
          h('div', { class: 'card' }, h('span', { text: 'TPS out' }), h('b', { id: 'tps-out', text: '-' })),
          h('div', { class: 'card' }, h('span', { text: 'Stored today' }), h('b', { id: 'put-today', text: '-' })),
          h('div', { class: 'card' }, h('span', { text: 'Delivered today' }), h('b', { id: 'get-today', text: '-' })),
          h('div', { class: 'card' }, h('span', { text: 'Store size' }), h('b', { id: 'store-size', text: '-' })),
          h('div', { class: 'card wide' }, h('span', { text: 'Messages in per second, last 60 s' }), h('div', { id: 'spark' })));
        var brokers = table(['Cluster', 'Broker', 'Id', 'Address', 'Version', 'Up since', 'Store size', 'Disk use'], o.brokers.map(function (b) {
          var r = b.runtime;
          var size = Number(r.commitLogMaxOffset || 0) - Number(r.commitLogMinOffset || 0);
          return [b.cluster, b.brokerName, b.brokerId, b.addr, b.error ? 'error: ' + b.error : r.brokerVersionDesc, time(Number(r.bootTimestamp)),
            bytes(size), r.commitLogDiskRatio ? (Number(r.commitLogDiskRatio) * 100).toFixed(1) + ' %' + (r.commitLogDirCapacity ? ' (' + r.commitLogDirCapacity + ')' : '') : ''];
        }), 'brokers');
        var pending = o.brokers.reduce(function (sum, b) {
          var r = b.runtime;
          sum.timer += Number(r.timerCongestNum || 0);
          sum.tx += Math.max(0, Number(r.transactionHalfMessages || 0) - Number(r.transactionCommits || 0) - Number(r.transactionRollbacks || 0) - Number(r.transactionDiscarded || 0));
          return sum;
        }, { timer: 0, tx: 0 });
        var pendingCards = h('div', { class: 'cards' },
          h('div', { class: 'card', title: 'half messages stored since the brokers started, not yet committed, rolled back or discarded' }, h('span', { text: 'Transactions open (since start)' }), h('b', { id: 'tx-open', text: pending.tx })),
          h('div', { class: 'card', title: 'timerCongestNum: timer messages waiting for their time' }, h('span', { text: 'Timer messages pending' }), h('b', { id: 'timer-pending', text: pending.timer })));
        var lag = h('div', { id: 'lag' });
        openFigures(function (s) {
          document.getElementById('tps-in').textContent = s.tpsIn;
          document.getElementById('tps-out').textContent = s.tpsOut;
          document.getElementById('put-today').textContent = s.putToday;
          document.getElementById('get-today').textContent = s.getToday;
          document.getElementById('store-size').textContent = bytes(s.storeBytes);
          live.spark.push(s.tpsIn);
          if (live.spark.length > 60) live.spark.shift();
          var spark = document.getElementById('spark');
          spark.replaceChildren(sparkline(live.spark));
          lag.replaceChildren(table(['Group', 'Clients', 'Consume TPS', 'Lag'], s.groups.map(function (g) { return [link('group/' + g.group, g.group), g.clients, g.consumeTps.toFixed(1), g.lag]; })));
        });
        return [h('h2', { text: 'Overview' }), figures, h('h3', { text: 'Brokers' }), brokers,
          h('p', {}, 'Name servers: ' + o.nameServers.join(', ')), pendingCards,
          h('p', {}, 'Lists: ', link('transactions', 'pending transactions'), ', ', link('timers', 'pending timer messages')), h('h3', { text: 'Consumer groups (live)' }), lag];
      });
    },
    topics: function () {
      return api('/api/topics').then(function (t) {
        var kind = h('select', { id: 'kind' }, ['NORMAL', 'RETRY', 'DLQ', 'SYSTEM', 'ALL'].map(function (k) { return h('option', { value: k, text: k }); }));
        var holder = h('div');
        function draw() {
          holder.replaceChildren(table(['Topic', 'Kind', 'Type', 'Brokers (read/write queues, perm)', 'Messages', 'TPS in (1 min)', ''], t.topics.filter(function (x) { return kind.value === 'ALL' || x.kind === kind.value; }).map(function (x) {
            return [link('topic/' + x.topic, x.topic), x.kind, x.messageType || 'NORMAL', x.brokers.map(function (b) { return b.brokerName + ' (' + b.readQueueNums + '/' + b.writeQueueNums + ', ' + b.perm + ')'; }).join(', '),
              x.messageCount, x.tpsIn.toFixed(1),
              h('button', { class: 'small danger', text: 'delete', onclick: function () {
                if (!window.confirm('Delete topic ' + x.topic + '?')) return;
                post('/api/topic/delete', { topic: x.topic }).then(function () { say('deleted ' + x.topic); route(); }, function (e) { say(e.message, true); });
              } })];
          }), 'topics'));
        }
        kind.addEventListener('change', draw);
        draw();
        var create = form('create-topic', [field('topic', 'Topic', { required: true }), field('readQueueNums', 'Read queues', { value: '8', size: 4 }),
          field('writeQueueNums', 'Write queues', { value: '8', size: 4 }),
          h('label', {}, 'Type', h('select', { name: 'messageType' }, ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'MIXED'].map(function (k) { return h('option', { value: k, text: k }); })))],
          'Create or update', function (v) {
            return post('/api/topic', { topic: v.topic, readQueueNums: Number(v.readQueueNums), writeQueueNums: Number(v.writeQueueNums), messageType: v.messageType })
              .then(function (r) { say('created ' + r.topic + ' on ' + r.brokers.join(', ')); location.hash = hashOf('topic', r.topic); });
          });
        return [h('h2', { text: 'Topics' }), h('label', {}, 'Kind ', kind), holder, h('h3', { text: 'Create a topic' }), create];
      });
    },
    topic: function (name) {
      return api('/api/topic?topic=' + encodeURIComponent(name)).then(function (t) {
        var tail = h('div', { id: 'tail' });
        var tailButton = h('button', { type: 'button', id: 'tail-start', text: 'Start live tail', onclick: function () {
          closeTail();
          tail.replaceChildren();
          live.tail = new EventSource('/api/tail?topic=' + encodeURIComponent(name));
          live.tail.addEventListener('message', function (e) {
            var m = JSON.parse(e.data);
            tail.prepend(h('div', { class: 'tail-row' }, time(m.storeTimestamp) + '  q' + m.queueId + '@' + m.queueOffset + '  ' + m.msgId + '  ' + m.body.slice(0, 120)));
          });
          say('tailing ' + name);
        } });
        return [h('h2', { text: 'Topic ' + name }), h('p', {}, 'Messages stored: ' + t.messageCount),
          h('h3', { text: 'Route' }), table(['Broker', 'Read queues', 'Write queues', 'Perm'], t.route.queueDatas.map(function (q) { return [q.brokerName, q.readQueueNums, q.writeQueueNums, q.perm]; }), 'route'),
          h('h3', { text: 'Queues' }), table(['Broker', 'Queue', 'Min offset', 'Max offset', 'Last stored'], t.offsetTable.map(function (s) { return [s.mq.brokerName, s.mq.queueId, s.minOffset, s.maxOffset, time(s.lastUpdateTimestamp)]; }), 'queues'),
          h('h3', { text: 'Send a test message' }),
          form('send-form', [field('tags', 'Tags'), field('keys', 'Keys'), field('body', 'Body', { type: 'textarea', required: true, rows: 3 })], 'Send', function (v) {
            return post('/api/message/send', { topic: name, body: v.body, tags: v.tags, keys: v.keys }).then(function (r) { say(r.status + ' ' + r.msgId); });
          }),
          h('h3', {}, 'Live tail ', tailButton), tail];
      });
    },
    groups: function () {
      return api('/api/groups').then(function (g) {
        return [h('h2', { text: 'Consumer groups' }), table(['Group', 'System', 'Clients', 'Consume TPS', 'Lag', ''], g.groups.map(function (x) {
          return [link('group/' + x.group, x.group), x.system ? 'yes' : '', x.clients, x.consumeTps.toFixed(1), x.lag,
            h('button', { class: 'small danger', text: 'delete', onclick: function () {
              if (!window.confirm('Delete group ' + x.group + '?')) return;
              post('/api/group/delete', { group: x.group }).then(function () { say('deleted ' + x.group); route(); }, function (e) { say(e.message, true); });
            } })];
        }), 'groups')];
      });
    },
    producers: function () {
      return api('/api/producers').then(function (p) {
        return [h('h2', { text: 'Producers' }), table(['Group', 'Broker', 'Client id', 'Address', 'Language', 'Version', 'Last heartbeat'], p.producers.map(function (x) {
          return [x.group, x.brokerName, x.clientId, x.remoteIP, x.language, x.version, time(x.lastUpdateTimestamp)];
        }), 'producers')];
      });
    },
    group: function (name) {
      return api('/api/group?group=' + encodeURIComponent(name)).then(function (g) {
        var topics = g.subscriptions.map(function (s) { return s.topic; });
        return [h('h2', { text: 'Group ' + name }),
          h('h3', { text: 'Clients' }), table(['Client id', 'Address', 'Language', 'Version'], g.connections.map(function (c) { return [c.clientId, c.clientAddr, c.language, c.version]; }), 'clients'),
          h('h3', { text: 'Subscriptions' }), table(['Topic', 'Expression'], g.subscriptions.map(function (s) { return [s.topic, s.subString]; })),
          h('h3', { text: 'Progress' }), h('p', {}, 'Consume TPS ' + g.progress.consumeTps.toFixed(1) + ', total lag ' + g.progress.diffTotal),
          table(['Topic', 'Broker', 'Queue', 'Broker offset', 'Consumer offset', 'Lag', 'Last consumed'], g.progress.offsetTable.map(function (q) {
            return [q.mq.topic, q.mq.brokerName, q.mq.queueId, q.brokerOffset, q.consumerOffset, q.diff, time(q.lastTimestamp)];
          }), 'progress'),
          h('h3', { text: 'Reset offsets by time' }),
          form('reset-form', [field('topic', 'Topic', { required: true, value: topics.filter(function (t) { return t.indexOf('%RETRY%') !== 0; })[0] || '' }),
            field('time', 'Time', { type: 'datetime-local', step: '1', required: true })], 'Reset', function (v) {
            return post('/api/group/reset', { group: name, topic: v.topic, timestamp: new Date(v.time).toISOString() }).then(function (r) {
              say('reset ' + r.offsets.length + ' queues of ' + r.topic);
              route();
            });
          }),
          h('p', {}, link('dlq/' + name, 'Retry and dead-letter messages of ' + name))];
      });
    },
    messages: function () {
      var results = h('div', { id: 'results' });
      function show(messages) {
        results.replaceChildren(messageRows(messages, function (m) { results.appendChild(messageDetail(m)); }));
        if (messages.length === 1) results.appendChild(messageDetail(messages[0]));
      }
      return [h('h2', { text: 'Messages' }),
        h('div', { class: 'forms' },
          form('by-id', [field('id', 'Message id', { required: true, size: 34 }), field('topic', 'Topic (for a producer id)')], 'Find by id', function (v) {
            return api('/api/message?id=' + encodeURIComponent(v.id) + '&topic=' + encodeURIComponent(v.topic)).then(function (r) { show(r.messages); });
          }),
          form('by-key', [field('topic', 'Topic', { required: true }), field('key', 'Key', { required: true })], 'Find by key', function (v) {
            return api('/api/messages/by-key?topic=' + encodeURIComponent(v.topic) + '&key=' + encodeURIComponent(v.key)).then(function (r) { show(r.messages); });
          }),
          form('by-offset', [field('topic', 'Topic', { required: true }), field('brokerName', 'Broker', { required: true, value: 'broker-a' }),
            field('queueId', 'Queue', { value: '0', size: 4 }), field('offset', 'Offset', { value: '0', size: 8 })], 'Browse', function (v) {
            return api('/api/messages/by-offset?' + new URLSearchParams(v).toString()).then(function (r) { show(r.messages); });
          })),
        results];
    },
    transactions: function (from) {
      return api('/api/transactions?limit=' + PAGE + '&from=' + encodeURIComponent(from || '0')).then(function (p) {
        return [h('h2', { text: 'Pending transactions' }),
          h('p', { class: 'note' }, 'Half messages neither committed nor rolled back, read from RMQ_SYS_TRANS_HALF_TOPIC and RMQ_SYS_TRANS_OP_HALF_TOPIC with ordinary pulls (any 5.x broker, Java included). The broker asks the producer group about each after its check interval.'),
          pendingSummary(p, 'transactions'),
          table(['Message id', 'Topic', 'Producer group', 'Tags', 'Keys', 'Born', 'Age', 'Checks', 'Broker', 'Half offset'], p.entries.map(function (t) {
            return [t.msgId, link('topic/' + t.topic, t.topic), t.producerGroup || '', t.tags || '', t.keys.join(' '), time(t.bornTimestamp), duration(t.ageMillis), t.checkTimes, t.brokerName, t.halfOffset];
          }), 'transactions')];
      });
    },
    timers: function (from) {
      return api('/api/timers?limit=' + PAGE + '&from=' + encodeURIComponent(from || '0')).then(function (p) {
        return [h('h2', { text: 'Pending timer messages' }),
          h('p', { class: 'note' }, 'Timer messages not yet due, read from rmq_sys_wheel_timer with ordinary pulls (any 5.x broker with the timer wheel on, Java included); recalled ones are left out.'),
          pendingSummary(p, 'timers'),
          table(['Message id', 'Topic', 'Tags', 'Keys', 'Due', 'Due in', 'Born', 'Broker', 'Wheel offset'], p.entries.map(function (t) {
            return [t.msgId, link('topic/' + t.topic, t.topic), t.tags || '', t.keys.join(' '), time(t.deliverTimestamp), duration(t.deliverTimestamp - Date.now()), time(t.bornTimestamp), t.brokerName, t.wheelOffset];
          }), 'timers')];
      });
    },
    dlq: function (name) {
      var holder = h('div', { id: 'dlq-list' });
      function load(group) {
        var retryTopic = '%RETRY%' + group;
        var retry = api('/api/topic?topic=' + encodeURIComponent(retryTopic)).then(function (t) { return t.messageCount; }, function () { return 0; });
        return Promise.all([api('/api/dlq?group=' + encodeURIComponent(group)), retry]).then(function (both) {
          var r = both[0];
          holder.replaceChildren(h('p', { id: 'retry-count' }, 'Retry topic ', link('topic/' + retryTopic, retryTopic), ': ' + both[1] + ' messages stored (redelivered by the broker on their schedule)'),
          h('p', {}, r.messages.length + ' dead-letter messages of ' + group + ' ',
            h('button', { type: 'button', id: 'resend-all', text: 'Resend all', onclick: function () {
              post('/api/dlq/resend', { group: group, all: true }).then(function (x) { say('resent ' + x.resent.length); }, function (e) { say(e.message, true); });
            } }), ' ', h('a', { href: '/api/dlq/export?group=' + encodeURIComponent(group), download: '', text: 'Export JSON' })),
          table(['Message id', 'Original topic', 'Tags', 'Reconsumed', 'Stored', ''], r.messages.map(function (m) {
            return [m.msgId, m.properties.RETRY_TOPIC || '', m.tags || '', m.reconsumeTimes, time(m.storeTimestamp),
              h('button', { class: 'small resend', text: 'resend', onclick: function () {
                post('/api/dlq/resend', { group: group, ids: [m.msgId] }).then(function (x) { say('resent ' + x.resent[0].msgId + ' as ' + x.resent[0].newMsgId); }, function (e) { say(e.message, true); });
              } })];
          }), 'dlq'));
        });
      }
      var pick = form('dlq-form', [field('group', 'Consumer group', { required: true, value: name || '' })], 'Show', function (v) { location.hash = hashOf('dlq', v.group); });
      return (name ? load(name) : Promise.resolve()).then(function () { return [h('h2', { text: 'Retry and dead-letter queues' }), pick, holder]; });
    }
  };

  function openFigures(onsample) {
    if (live.source) live.source.close();
    live.source = new EventSource('/api/events');
    live.source.addEventListener('figures', function (e) { onsample(JSON.parse(e.data)); });
  }
  function closeTail() { if (live.tail) { live.tail.close(); live.tail = null; } }

  function route() {
    var hash = location.hash.replace(/^#/, '') || 'overview';
    var slash = hash.indexOf('/');
    var page = slash < 0 ? hash : hash.slice(0, slash);
    var arg = slash < 0 ? undefined : hash.slice(slash + 1);
    try { if (arg !== undefined) arg = decodeURIComponent(arg); } catch (e) { /* typed by hand, not encoded: taken as is */ }
    if (live.source && page !== 'overview') { live.source.close(); live.source = null; }
    closeTail();
    document.querySelectorAll('nav a').forEach(function (a) { a.className = a.getAttribute('href') === '#' + page ? 'active' : ''; });
    var view = pages[page] || pages.overview;
    Promise.resolve(view(arg)).then(function (content) {
      main.replaceChildren(h('div', { class: 'page', 'data-page': page }, content));
    }, function (err) {
      main.replaceChildren(h('div', { class: 'page', 'data-page': page }, h('p', { class: 'bad', text: err.message })));
    });
  }
  window.addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', function () {
    if (document.hidden && live.source) { live.source.close(); live.source = null; } else if (!document.hidden && !live.source) route();
  });
  route();
})();
`;

const STYLE_CSS = `:root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --accent: #d4380d; --bg: #f8f9fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { font-size: 16px; margin: 0; color: var(--accent); white-space: nowrap; }
nav { white-space: nowrap; }
nav a { margin-right: 14px; color: var(--fg); text-decoration: none; padding: 4px 0; }
nav a.active { border-bottom: 2px solid var(--accent); }
#status { margin-left: auto; font-size: 13px; max-width: 40%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ok { color: #067647; } .bad { color: #b42318; }
main { padding: 16px 20px; max-width: 1200px; }
h2 { font-size: 18px; margin: 4px 0 12px; } h3 { font-size: 15px; margin: 18px 0 8px; } h4 { margin: 12px 0 6px; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); font-size: 13px; }
th { background: #f2f4f7; font-weight: 600; } td.empty { color: var(--muted); }
a { color: #1849a9; }
form { display: flex; flex-wrap: wrap; align-items: end; gap: 8px; margin: 8px 0; padding: 8px; background: #fff; border: 1px solid var(--line); }
label { display: flex; flex-direction: column; align-items: flex-start; font-size: 12px; color: var(--muted); gap: 2px; margin-bottom: 6px; }
input, select, textarea { font: inherit; padding: 3px 6px; border: 1px solid #d0d5dd; border-radius: 4px; }
textarea { width: 420px; }
button { font: inherit; padding: 4px 12px; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
button.small { padding: 1px 8px; font-size: 12px; background: #fff; color: var(--accent); }
button.danger { border-color: #b42318; color: #b42318; }
button.linklike { border: 0; background: none; color: #1849a9; padding: 0; text-decoration: underline; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); padding: 10px 14px; min-width: 130px; display: flex; flex-direction: column; }
.card span { color: var(--muted); font-size: 12px; } .card b { font-size: 22px; } .card.wide { min-width: 280px; }
svg.spark { width: 240px; height: 40px; } svg.spark path { fill: none; stroke: var(--accent); stroke-width: 1.5; }
pre.body { background: #fff; border: 1px solid var(--line); padding: 8px; white-space: pre-wrap; word-break: break-all; max-height: 300px; overflow: auto; }
#tail { font: 12px ui-monospace, monospace; background: #fff; border: 1px solid var(--line); max-height: 260px; overflow: auto; padding: 6px; }
.forms form { margin-bottom: 6px; }
p.note { color: var(--muted); font-size: 13px; max-width: 900px; }
`;

/** Served at these paths; `/` is the page. */
export const CONSOLE_ASSETS: Readonly<Record<string, { contentType: string; body: string }>> = {
  '/': { contentType: 'text/html; charset=utf-8', body: INDEX_HTML },
  '/index.html': { contentType: 'text/html; charset=utf-8', body: INDEX_HTML },
  '/app.js': { contentType: 'text/javascript; charset=utf-8', body: APP_JS },
  '/style.css': { contentType: 'text/css; charset=utf-8', body: STYLE_CSS },
};
