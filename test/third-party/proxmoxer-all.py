# Drives every endpoint the Proxmox simulator serves through python3-proxmoxer (Debian), the
# way scripts written against real PVE call them. Prints one line per check; any unexpected
# answer raises. Reads SIM_HOST, SIM_SECRET, SIM_PASSWORD, SIM_CA from the environment.
import os, time
from proxmoxer import ProxmoxAPI
from proxmoxer.core import ResourceException

env = os.environ
p = ProxmoxAPI(env['SIM_HOST'], user='root@pam', token_name='pve-gitops',
               token_value=env['SIM_SECRET'], verify_ssl=env['SIM_CA'])
n = p.nodes('pve1')


def wait(upid):
    node = upid.split(':')[1]
    while True:
        s = p.nodes(node).tasks(upid).status.get()
        if s['status'] == 'stopped':
            return s['exitstatus']
        time.sleep(0.02)


def refused(fn):
    try:
        fn()
    except ResourceException as e:
        return str(e)
    raise SystemExit('accepted: %r' % fn)


def out(*a):
    print(*a, flush=True)


# Password login: POST /access/ticket.
pw = ProxmoxAPI(env['SIM_HOST'], user='root@pam', password=env['SIM_PASSWORD'],
                verify_ssl=env['SIM_CA'])
out('version', pw.version.get()['release'] == p.version.get()['release'])
out('nodes', ','.join(x['node'] for x in p.nodes.get()))
out('cluster', p.cluster.status.get()[0]['type'], len(p.cluster.resources.get(type='vm')) > 0)
out('ha', p.cluster.ha.resources.get(), p.cluster.ha.status.current.get()[0]['type'])
out('pools', p.pools.get(), [s['storage'] for s in p.storage.get()])
out('node', n.status.get()['cpuinfo']['cpus'], n.network.get(type='bridge')[0]['iface'],
    [s['storage'] for s in n.storage.get(content='images')], n.lxc.get())
out('cert', len(n.certificates.info.get()) == 1)
# What real tools read to see their rights (the token here has them all, on /).
out('permissions', p.access.permissions.get()['/']['VM.Audit'])
out('storage', n.storage('local-lvm').status.get()['type'],
    len(n.storage('local-lvm').content.get(content='images')) >= 1)
newid = int(p.cluster.nextid.get())
upid = n.qemu(9000).clone.post(newid=newid, name='px-1')
out('clone', wait(upid), newid)
log = n.tasks(upid).log.get()
out('tasks', log[-1]['t'], n.tasks.get(typefilter='qmclone')[0]['upid'] == upid,
    any(t['upid'] == upid for t in p.cluster.tasks.get()))
out('args', refused(lambda: n.qemu(newid).config.put(args='-no-reboot')))
# Divergences of issue 9: a used template stays, storages refuse what they cannot hold.
out('template', wait(n.qemu(9000).delete()), n.qemu(9000).config.get()['template'])
out('thick', wait(n.qemu(9000).clone.post(newid=newid + 5, full=1, storage='thick')))
out('images', refused(lambda: n.qemu(9000).clone.post(newid=newid + 5, full=1, storage='local')))
out('nostorage', refused(lambda: n.qemu(9000).clone.post(newid=newid + 5, full=1, storage='nope')))
out('network', sorted({r['type'] for r in p.cluster.resources.get()}),
    n.network.get(type='bridge')[0].get('cidr'))
n.qemu(newid).config.put(memory=1024, ipconfig0='ip=dhcp')
out('config', n.qemu(newid).config.get()['memory'],
    wait(n.qemu(newid).config.post(tags='px', scsi1='local-lvm:1')),
    n.qemu(newid).config.get()['scsi1'])
out('pending', sorted(x['key'] for x in n.qemu(newid).pending.get())[:2])
out('resize', wait(n.qemu(newid).resize.put(disk='scsi0', size='1G')),
    wait(n.qemu(newid).resize.put(disk='scsi0', size='+1G')))
n.qemu(newid).unlink.put(idlist='scsi1')
out('unlink', n.qemu(newid).config.get().get('unused0'))
out('move', refused(lambda: n.qemu(newid).move_disk.post(disk='scsi0', storage='local')))
out('snapshot', wait(n.qemu(newid).snapshot.post(snapname='s1', description='d')),
    [s['name'] for s in n.qemu(newid).snapshot.get()],
    len(n.qemu(newid).snapshot('s1').get()) > 0,
    wait(n.qemu(newid).snapshot('s1').rollback.post()),
    wait(n.qemu(newid).snapshot('s1').delete()))
out('boot', wait(n.qemu(newid).status.start.post()), n.qemu(newid).status.current.get()['status'],
    n.qemu(newid).status.current.get()['running-qemu'])
while True:
    try:
        n.qemu(newid).agent.ping.post()
        break
    except ResourceException:
        time.sleep(0.05)
a = n.qemu(newid).agent
ifs = a('network-get-interfaces').get()['result']
pid = a.exec.post(command=['hostname'])['pid']
while True:
    st = a('exec-status').get(pid=pid)
    if st['exited']:
        break
    time.sleep(0.05)
a('file-write').post(file='/tmp/x', content='hi')
out('agent', len(ifs), st['out-data'].strip(), a('file-read').get(file='/tmp/x')['content'],
    a('get-osinfo').get()['result']['id'], 'guest-exec' in str(a.info.get()),
    refused(lambda: a.exec.post(command=['no-such-tool'])).split(':')[0])
for action in ['suspend', 'resume', 'reset', 'reboot', 'shutdown', 'start', 'stop']:
    out(action, wait(getattr(n.qemu(newid).status, action).post()))
created = wait(n.qemu.post(vmid=newid + 1, name='px-2', scsi0='local-lvm:1', ide2='local-lvm:cloudinit'))
out('create', created, n.qemu(newid + 1).config.get()['ide2'])
out('list', sorted(v['vmid'] for v in n.qemu.get() if v['vmid'] >= newid))
out('migrate', wait(n.qemu(newid).migrate.post(target='pve2')))
out('delete', wait(p.nodes('pve2').qemu(newid).delete()), wait(n.qemu(newid + 1).delete()))
